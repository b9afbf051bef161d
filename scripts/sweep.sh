#!/usr/bin/env bash
# Trains a grid of configurations as separate runs spread over the ranks of an MPI or Slurm job
# (docs/scale.md):
#   mpirun -np 4 scripts/sweep.sh OUT [train flags...]      then once: circuitscope icl OUT/*/
# Configuration i (layers x seeds, CS_SWEEP_LAYERS and CS_SWEEP_SEEDS, default "1 2 3 4" and
# "1 2") goes to rank i mod ranks, which trains its share one after another into OUT/lL-sS, each
# run's output in OUT/lL-sS.log. The train flags must not set --n-layers, --seed or --out.
# CIRCUITSCOPE names the binary (default: circuitscope on PATH).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [train flags...]" >&2; exit 2; }
out=$1
shift
rank=${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-${PMIX_RANK:-0}}}
ranks=${OMPI_COMM_WORLD_SIZE:-${SLURM_NTASKS:-1}}
bin=${CIRCUITSCOPE:-circuitscope}
mkdir -p "$out"
i=0
for layers in ${CS_SWEEP_LAYERS:-1 2 3 4}; do
  for seed in ${CS_SWEEP_SEEDS:-1 2}; do
    if (( i % ranks == rank )); then
      run=$out/l$layers-s$seed
      echo "rank $rank: training $run" >&2
      # Without the launcher's variables circuitscope trains alone rather than joining this job's
      # ranks in one data-parallel run.
      env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK -u PMI_RANK \
        "$bin" train --out "$run" --n-layers "$layers" --seed "$seed" "$@" > "$run.log" 2>&1 ||
        { echo "rank $rank: $run failed, see $run.log" >&2; exit 1; }
    fi
    i=$((i + 1))
  done
done
