"""cuagym.data"""
