"""The ETL: sources → bronze → silver → gold → PostgreSQL, one partition at a time."""
