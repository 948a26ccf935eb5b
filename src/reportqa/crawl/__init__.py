"""``reportqa crawl``: the reports from the units' own sites, saved into the reports folder.

``sources`` reads SOURCES.toml, ``links`` reads a fetched page's links, ``state`` keeps what each URL
was last time (ETag, Last-Modified, content hash, where it was saved), ``crawler`` walks the sites.
"""
