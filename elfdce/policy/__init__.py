"""The NATIVE/DCE model of a replacement library's table, and its file formats."""
