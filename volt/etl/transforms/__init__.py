"""ETL transforms: SQL files plus one function per stage, each returning a typed report."""
