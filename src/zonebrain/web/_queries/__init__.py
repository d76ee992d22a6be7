"""What the pages and the API show, computed from the warehouse (Ibis) and cached per data version."""
