"""Places: search over communes, streets and addresses; communes one by one and by département."""
