"""cuagym: reinforcement learning from verifiable rewards for computer-use agents.

The top-level folders of the repository (gspo/, scaffold/, hub/, data/, rollout/,
synth/, train/) are installed as sub-packages of ``cuagym`` so that nothing generic
like ``data`` or ``train`` lands in site-packages.
"""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
SUBPACKAGES = ["gspo", "scaffold", "hub", "data", "rollout", "synth", "train"]

packages = find_packages(include=["cuagym", "cuagym.*"])
package_dir = {"cuagym": "cuagym"}
for sub in SUBPACKAGES:
    for found in [sub] + [f"{sub}.{p}" for p in find_packages(where=sub)]:
        packages.append(f"cuagym.{found}")
    package_dir[f"cuagym.{sub}"] = sub

setup(
    name="cuagym",
    version="0.1.0",
    description="RL from verifiable rewards for computer-use agents (CUA-Gym style)",
    long_description=(ROOT / "README.md").read_text() if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=sorted(set(packages)),
    package_dir=package_dir,
    include_package_data=True,
    package_data={"": ["*.yaml", "*.json", "*.html", "*.css", "*.js", "*.md", "*.png", "*.jinja"]},
    # Tested ranges. The libraries whose behaviour the code relies on in detail (model classes and
    # generation, the DeepSpeed engine, Ray placement, the browser driver, W&B offline runs, the
    # hub's ASGI stack) are capped at the next minor release after the one the suite last passed
    # on, so a fresh install resolves to what was tested (transformers 5.25 arriving where 5.23
    # had been tested changed the learner). To move one up: raise the cap, run the suite, commit.
    # The others have a floor and a cap at their next major release.
    install_requires=[
        # torch is installed first by launch/setup_env.sh (CPU wheel); any >=2.4 build works.
        "torch>=2.4",
        "transformers>=5.23,<5.26",     # Qwen3.5-MoE VL classes; tested 5.23 and 5.25
        "tokenizers>=0.23.1,<0.24",     # what transformers 5.25 requires
        "accelerate>=1.15,<2",
        "deepspeed>=0.19.8,<0.20",      # tested 0.19.8 (CPU accelerator, gloo, ZeRO 2/3)
        "ray>=2.60,<2.61",              # tested 2.60; every node of a cluster must run the same version
        "playwright>=1.65,<1.66",       # tested 1.65 with Debian's Chromium
        "wandb>=0.31,<0.32",            # tested 0.31 (offline mode, Settings(x_disable_stats))
        "fastapi>=0.165,<0.166",        # tested 0.165 (starlette 1.x)
        "uvicorn>=0.55,<0.56",          # tested 0.55
        "python-multipart>=0.0.9,<0.1",
        "pydantic>=2.9,<3",
        "pyyaml>=6.0,<7",
        "safetensors>=0.8,<1",
        "pillow>=10.0,<14",             # tested 13.0
        "requests>=2.31,<3",
        "httpx>=0.27,<1",
        "tqdm>=4.66,<5",
        "gymnasium>=1.0,<2",
        "matplotlib>=3.8,<4",
    ],
    extras_require={
        "gpu": ["vllm>=0.11", "flash-attn>=2.6"],
        "test": ["pytest>=8,<10", "pytest-timeout>=2.3,<3", "hypothesis>=6.100,<7"],
    },
    entry_points={"console_scripts": ["cuagym=cuagym.cli:main"]},
)
