"""The real-repos listing: repos.txt, make_listing.py and the listing.parquet it writes."""

# The listing the real runs are built from, as the commands we print name it (from the checkout's
# root): make_listing.py writes it, dataset.build reads it.
LISTING = "dataset/real/listing.parquet"
