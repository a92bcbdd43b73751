/* The papers this project implements, one row per seed paper (shared/papers/README.md).
 * Titles and dates come from the seed list (shared/seeds/), first authors and arXiv ids from the
 * spec sheets (shared/papers/) or, where the sheets give none, from the arXiv listing.
 * `year` is that of the first arXiv version, as dated in the seed list. */
#include "internal.h"

#include <string.h>

static const lf_paper papers[] = {
    {"lion", "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
     "Chen et al.", 2023, "2310.05898", "lion-box, lion-vs-adamw"},
    {"compsum", "Cross-Entropy Loss Functions: Theoretical Analysis and Applications",
     "Mao et al.", 2023, "2304.07288", "compsum-noise, compsum-adv"},
    {"martingale",
     "Policy Evaluation and Temporal-Difference Learning in Continuous Time and Space: "
     "A Martingale Approach",
     "Jia and Zhou", 2021, "2108.06655", "martingale-pe"},
    {"anyloss", "AnyLoss: Transforming Classification Metrics into Loss Functions",
     "Han et al.", 2024, "2405.14745", "anyloss-imbalance"},
    {"ftrl-logbarrier", "Refined Regret for Adversarial MDPs with Linear Function Approximation",
     "Dai et al.", 2023, "2301.12942", "ftrl-logbarrier"},
    {"oomd",
     "Optimistic Online Mirror Descent for Bridging Stochastic and Adversarial Online Convex "
     "Optimization",
     "Chen et al.", 2023, "2302.04552", "oomd-sea"},
    {"deeponet",
     "DeepONet: Learning nonlinear operators for identifying differential equations based on "
     "the universal approximation theorem of operators",
     "Lu et al.", 2019, "1910.03193", "deeponet"},
    {"neucb", "Contextual Bandits with Online Neural Regression", "Deb et al.", 2023,
     "2312.07145", "neucb"},
    {"onevae",
     "OneVAE: Joint Discrete and Continuous Optimization Helps Discrete Video VAE Train Better",
     "Zhou et al.", 2025, "2508.09857", "fsq-ae"},
    {"aggregate",
     "Learning from Aggregate responses: Instance Level versus Bag Level Loss Functions",
     "Javanmard et al.", 2024, "2401.11081", "bag-loss"},
    {"susana",
     "SuSana Distancia is all you need: Enforcing class separability in metric learning via two "
     "novel distance-based loss functions for few-shot image classification",
     "Mendez-Ruiz et al.", 2023, "2305.09062", "fewshot"},
    {"ood-unlabeled", "Out-Of-Domain Unlabeled Data Improves Generalization", "Saberi et al.",
     2023, "2310.00027", "ood-unlabeled"},
    {"rbocpd",
     "Restarted Bayesian Online Change-point Detection for Non-Stationary Markov Decision "
     "Processes",
     "Alami et al.", 2023, "2304.00232", "rbocpd"},
    {"ldr",
     "Label Distributionally Robust Losses for Multi-class Classification: Consistency, "
     "Robustness and Adaptivity",
     "Zhu et al.", 2021, "2112.14869", "compsum-noise"},
    {"dcdm", "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems",
     "Kaneda et al.", 2022, "2205.10763", "dcdm-poisson"},
    {"ms", "Multi-Similarity Loss with General Pair Weighting for Deep Metric Learning",
     "Wang et al.", 2019, "1904.06627", "ms-recall"},
    {"ensloss",
     "EnsLoss: Stochastic Calibrated Loss Ensembles for Preventing Overfitting in Classification",
     "Dai", 2024, "2409.00908", "ensloss"},
    {"km-censored", "Empirical Risk Minimization under Random Censorship: Theory and Practice",
     "Ausset et al.", 2019, "1906.01908", "km-censored"},
    {"drakes",
     "Fine-Tuning Discrete Diffusion Models via Reward Optimization with Applications to DNA "
     "and Protein Design",
     "Wang et al.", 2024, "2410.13643", "drakes-toy"},
    {"dkvb", "Discrete Key-Value Bottleneck", "Tr\u00e4uble et al.", 2022, "2207.11240",
     "kv-bottleneck"},
    {"dcc", "Dataset Condensation with Contrastive Signals", "Lee et al.", 2022, "2202.02916",
     "dcc"},
    {"hpo-activation",
     "Sample complexity of data-driven tuning of model hyperparameters in neural networks with "
     "structured parameter-dependent dual function",
     "Balcan et al.", 2025, "2501.13734", "hpo-activation"},
    {"universality", "The Universality Lens: Why Even Highly Over-Parametrized Models Learn Well",
     "Feder et al.", 2025, "2506.07661", "sgld-ensemble"},
};

enum { NPAPERS = (int)(sizeof papers / sizeof papers[0]) };

int lf_paper_count(void) { return NPAPERS; }

const lf_paper *lf_paper_at(int i) { return i >= 0 && i < NPAPERS ? &papers[i] : NULL; }

const lf_paper *lf_paper_find(const char *key)
{
    if (!key) return NULL;
    for (int i = 0; i < NPAPERS; i++)
        if (!strcmp(papers[i].key, key)) return &papers[i];
    return NULL;
}
