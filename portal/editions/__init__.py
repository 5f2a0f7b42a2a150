"""The edition domain: records, the theme catalogue, the store, checks, and the Markdown form."""
