"""Read queries behind the pages: the archive, themes, sources, related editions, the sitemap, health."""
