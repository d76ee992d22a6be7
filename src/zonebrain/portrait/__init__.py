"""portrait/: 产业画像 — what the zone has, by park, industry and chain."""

from zonebrain.portrait._summary import ZoneSummary, industry_dimension, latest_year, zone_summary

__all__ = ["ZoneSummary", "industry_dimension", "latest_year", "zone_summary"]
