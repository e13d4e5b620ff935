"""The EL step: generate a Greenery-shaped dataset, and land CSV exports into `raw`."""
