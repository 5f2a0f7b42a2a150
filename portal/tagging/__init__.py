"""Theme tagging of edition files: suggest themes for untagged links, write the accepted ones."""
