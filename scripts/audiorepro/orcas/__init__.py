"""orcas: a next-sample mu-law LSTM on raw orca recordings, and the unit that hears whistles (seed 000)."""
