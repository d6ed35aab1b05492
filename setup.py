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
    install_requires=[
        # torch is installed first by launch/setup_env.sh (CPU wheel); any >=2.4 build works.
        "torch>=2.4",
        "transformers>=5.0",
        "tokenizers>=0.21",
        "accelerate>=1.0",
        "deepspeed>=0.16",
        "ray>=2.40",
        "playwright>=1.45",
        "wandb>=0.18",
        "fastapi>=0.110",
        "uvicorn>=0.30",
        "python-multipart>=0.0.9",
        "pydantic>=2.6",
        "pyyaml>=6.0",
        "safetensors>=0.4",
        "pillow>=10.0",
        "requests>=2.31",
        "httpx>=0.27",
        "tqdm>=4.66",
        "gymnasium>=1.0",
        "matplotlib>=3.8",
    ],
    extras_require={
        "gpu": ["vllm>=0.11", "flash-attn>=2.6"],
        "test": ["pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100"],
    },
    entry_points={"console_scripts": ["cuagym=cuagym.cli:main"]},
)
