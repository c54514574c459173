"""catsdogs: a 10-layer 1-D CNN that tells cats from dogs in raw audio (seed 004)."""
