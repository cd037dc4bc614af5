"""The real-repos listing: repos.txt, make_listing.py and the listing.jsonl it writes."""
