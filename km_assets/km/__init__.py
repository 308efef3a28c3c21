"""The KM domain: article and table schemas, mapping, permissions. No Dagster here."""
