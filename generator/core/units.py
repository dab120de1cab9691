"""torchsummary's units, which the summary table and its check both use."""

MEGABYTE = 1024**2  # torchsummary's "MB" is a mebibyte
FLOAT_BYTES = 4  # its size estimates assume float32
