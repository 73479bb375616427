drop function health.daily_values(date, date);
