"""The clock: APScheduler ticks jobs that find due work in the database and call operations."""
