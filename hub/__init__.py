"""cuagym.hub"""
