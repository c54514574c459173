"""continuation: a 3-layer LSTM that predicts the next frame of audio, then generates (seed 003)."""
