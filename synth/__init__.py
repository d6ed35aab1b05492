"""cuagym.synth"""
