"""cuagym.rollout"""
