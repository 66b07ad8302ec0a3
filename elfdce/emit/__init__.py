"""Human and machine descriptions of reader results, kept apart from parsing."""
