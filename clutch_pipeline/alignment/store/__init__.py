"""SQL of the alignment stage, one module per table family."""
