"""Evaluation results: folders (load/validate), series names and the paper's values,
rankings and relative improvements, and dataset/registry look-ups. Pure functions the
Benchmark, Ablation and Gallery pages display: `from locnet import results as R`.
"""

from locnet.results.folders import (  # noqa: F401
    FOLDER_KEY,
    META_FILE,
    PER_ENV_COLUMNS,
    PER_ENV_FILE,
    RESULTS_ROOT,
    ROOT_ENV,
    ROOT_KEY,
    SAMPLE_COLUMNS,
    SAMPLES_FILE,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
    ResultsError,
    ResultSet,
    dataset_mismatch,
    evaluate_command,
    folder_index,
    folder_stamp,
    holds_series,
    list_result_folders,
    load_results,
    new_results_folder,
    no_results_message,
    results_root,
)
from locnet.results.lookups import (  # noqa: F401
    case_sensors,
    dataset_map_id,
    environment_statistics,
    environment_table,
    model_parameters,
)
from locnet.results.ranking import (  # noqa: F401
    average_over_rates,
    loss_comparison,
    rank_cases,
    rank_environments,
    relative_improvement,
    same_case,
    select_series,
)
from locnet.results.series import (  # noqa: F401
    DEFAULT_VARIANT,
    DISPLAY_NAMES,
    ENV_VARIANT,
    LOCNET,
    LOSS_VARIANTS,
    METRICS,
    NOENV_VARIANT,
    PAPER_AVERAGE_RMSE_M,
    PAPER_LABEL,
    PAPER_PARAMETERS,
    PAPER_RMSE_M,
    paper_reference,
    series_label,
    series_options,
)
