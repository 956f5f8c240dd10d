"""Domain services: every rule that changes seats or people lives here.

Arrows go one way: blueprints call services, services use models.
"""
