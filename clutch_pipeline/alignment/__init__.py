"""Where wearables meet the game: daily summaries, the pregame and concurrent context of clutch actions,
clutch scores and the feature store. Reads the tables the NBA and WHOOP stages write; imports neither."""
