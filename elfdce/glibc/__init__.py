"""glibc knowledge: the five libraries DCE replaces, where they are, and the 2.34 merge."""
