"""orcas: a next-sample mu-law LSTM on raw orca tapes, and its whistle unit (seed 000)."""
