"""sorting: un-shuffling audio chunks with a shared chunk encoder and a sorter (seed 002)."""
