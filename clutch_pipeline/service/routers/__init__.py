"""The service's routes, one router per area; ``service.app.create_app`` assembles them."""
