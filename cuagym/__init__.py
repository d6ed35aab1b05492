"""cuagym: train computer-use agents with reinforcement learning from verifiable rewards."""

__version__ = "0.1.0"


def _register_gymnasium_env() -> None:
    # Registration is lazy (an entry-point string): gym.make("cuagym/Hub-v0", ...) imports the
    # environment only when it is made.
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a base requirement
        return
    if "cuagym/Hub-v0" not in gymnasium.registry:
        gymnasium.register(id="cuagym/Hub-v0", entry_point="cuagym.rollout.gym_env:HubEnv")


_register_gymnasium_env()
