"""What machines read: Atom and JSON feeds, the sitemap, robots.txt and the OpenSearch description."""
