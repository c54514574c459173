"""whales: right-whale upcalls as spectrogram images for AlexNet and GoogLeNet (seed 001)."""
