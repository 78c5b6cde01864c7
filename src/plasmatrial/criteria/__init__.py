"""Published response, progression and staging criteria as data, and one engine that applies them."""
