"""Routes: each module holds one page family and its JSON API under /api/v1."""
