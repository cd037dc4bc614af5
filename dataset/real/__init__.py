"""The real-repos listing: repos.txt, make_listing.py and the listing.parquet it writes."""
