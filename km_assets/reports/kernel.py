"""The project's Jupyter kernel: `km-assets`, the venv's own Python, so notebooks import km_assets.

papermill and JupyterLab find kernels by name. ipykernel ships a `python3` spec whose command is plain
`python`, which resolves to whichever Python launched Jupyter, and a `python3` spec in the user's
folder may point elsewhere. A spec of our own, installed into the venv (`sys.prefix`) with the venv's
interpreter by absolute path, is unambiguous. `make env` installs it; `ensure_kernel` repairs it when
missing or when it points at another interpreter (a moved or rebuilt venv).

    python -m km_assets.reports.kernel      # install or repair, print where
"""

from __future__ import annotations

import sys

__all__ = ["KERNEL_NAME", "ensure_kernel"]

KERNEL_NAME = "km-assets"
DISPLAY_NAME = "Python (km_assets)"


def _spec_python() -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    return spec.argv[0] if spec.argv else None


def ensure_kernel() -> str:
    """The kernel name, after making sure its spec runs this interpreter."""
    if _spec_python() == sys.executable:
        return KERNEL_NAME
    from ipykernel.kernelspec import install

    try:
        install(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME, prefix=sys.prefix)
    except OSError as err:
        raise RuntimeError(f"cannot install the {KERNEL_NAME!r} Jupyter kernel into {sys.prefix}: {err}") from None
    found = _spec_python()
    if found != sys.executable:
        # Another spec of that name earlier on the Jupyter path (JUPYTER_PATH, the user's folder) wins.
        raise RuntimeError(f"the Jupyter kernel {KERNEL_NAME!r} runs {found}, not {sys.executable}: remove the "
                           f"other spec (`jupyter kernelspec list` shows where it is)")
    return KERNEL_NAME


def main() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    name = ensure_kernel()
    print(f"Jupyter kernel {name!r} ({sys.executable}) at {KernelSpecManager().get_kernel_spec(name).resource_dir}")


if __name__ == "__main__":
    main()
