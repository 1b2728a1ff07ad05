"""Registry (参保登记): regions, agencies, employers, persons and their insurance relationships."""
