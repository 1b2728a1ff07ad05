"""Storage: one MetaData with a naming convention, engines, the unit of work, migrations."""
