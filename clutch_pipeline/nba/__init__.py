"""NBA ingestion: play-by-play from the CDN, stats v3 and archives; clutch windows and actions."""
