namespace Adrpo.Training;

/// <summary>The fine-tuning objective of <see cref="FlowMatching.AdrpoFlowMatchingTrainer"/>.</summary>
public enum FineTuningMethod
{
    /// <summary>ADRPO (eq. 6): advantage-weighted CFM with the per-sample W2 coefficient beta0 - clip(A). Online.</summary>
    Adrpo,

    /// <summary>ORW-CFM-W2: reward-weighted CFM (weights exp(tau r)) with a fixed W2 coefficient alpha. Online.</summary>
    OrwCfmW2,

    /// <summary>RAFT: plain CFM on the top fraction of each prompt's samples. Online, no divergence term.</summary>
    Raft,

    /// <summary>Flow-matching DPO: preference pairs (best vs worst of each prompt's reference samples) drawn once
    /// from the reference model before training, i.e. offline.</summary>
    Dpo,

    /// <summary>Flow-GRPO (Liu et al. 2025): samples by an SDE with the ODE's marginals, and trains the per-step Gaussian
    /// policy with GRPO's clipped ratio and group advantages, plus a KL to the reference (LoRA off) with coefficient
    /// Beta0. Online. Options: FlowGrpoNoiseLevel, FlowGrpoTrainedSteps, FlowGrpoClipRange; advantages follow
    /// AdvantageScaling and [MinAdvantage, MaxAdvantage] (Flow-GRPO's own: Group scaling, clipped to [-5, 5], Beta0 0.04).</summary>
    FlowGrpo,
}
