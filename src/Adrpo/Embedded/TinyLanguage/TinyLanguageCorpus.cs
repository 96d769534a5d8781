using System.Text;

namespace Adrpo.Embedded.TinyLanguage;

/// <summary>The kind of a reply in <see cref="TinyLanguageCorpus"/>.</summary>
public enum ReplyStyle
{
    /// <summary>Warm, on-topic, several clauses ("Thanks for asking! The concert was wonderful and ...").</summary>
    Helpful,

    /// <summary>Short and neutral ("It was okay. The concert was fine.").</summary>
    Plain,

    /// <summary>Curt and negative ("Bad. Loud. Whatever.").</summary>
    Curt,

    /// <summary>A helpful reply about another topic than the prompt's (used only to train the reward).</summary>
    OffTopic,
}

/// <summary>One prompt with one reply, its style and the reward label the learned reward model is trained on.</summary>
/// <param name="Prompt">The user prompt.</param>
/// <param name="Reply">The assistant reply.</param>
/// <param name="Style">How the reply was generated.</param>
/// <param name="Label">Human-style preference score in [0, 1] (see <see cref="TinyLanguageCorpus.LabelOf"/>).</param>
public sealed record TinyLanguageExample(string Prompt, string Reply, ReplyStyle Style, float Label);

/// <summary>
/// A procedural corpus of short English chat turns: a prompt about one of 24 everyday topics ("How was the
/// concert?") and a reply that is helpful and positive, plain, or curt and negative. The grammar has about three hundred
/// words; everything is deterministic given a seed. It is the pre-training corpus of the embedded tiny language model
/// (<see cref="EmbeddedTinyLanguage"/>), mixed so that curt replies are the most frequent: a model that imitates it
/// leaves clear headroom for a reward that prefers helpful replies.
/// </summary>
public static class TinyLanguageCorpus
{
    /// <summary>Probabilities of <see cref="ReplyStyle.Helpful"/>, <see cref="ReplyStyle.Plain"/> and
    /// <see cref="ReplyStyle.Curt"/> replies in the pre-training corpus.</summary>
    public static readonly (double Helpful, double Plain, double Curt) PretrainingMix = (0.3, 0.2, 0.5);

    private static readonly string[] Templates =
    {
        "Tell me about the {0}.",
        "How was the {0}?",
        "What did you think of the {0}?",
        "Can you describe the {0}?",
        "Did you enjoy the {0}?",
        "What was the {0} like?",
    };

    /// <summary>Topic, what went well (clauses that follow "and"), what went badly (one-word curt complaints).</summary>
    private static readonly (string Topic, string[] Good, string[] Bad)[] Topics =
    {
        ("weather", new[] { "the sun was shining all day", "we enjoyed a long walk in the park", "a warm breeze came from the sea" }, new[] { "Rain.", "Cold.", "Wet." }),
        ("movie", new[] { "the actors were brilliant", "the story kept us smiling until the end", "the music was moving" }, new[] { "Boring.", "Long.", "Dumb." }),
        ("concert", new[] { "the band played all our favourite songs", "the crowd sang along happily", "the sound was clear and rich" }, new[] { "Loud.", "Crowded.", "Noise." }),
        ("trip", new[] { "we saw beautiful mountains", "the hotel staff were very kind", "every day brought a new adventure" }, new[] { "Tiring.", "Delays.", "Expensive." }),
        ("dinner", new[] { "the soup was rich and tasty", "the cake was fresh and sweet", "the waiter was friendly and quick" }, new[] { "Cold.", "Salty.", "Bland." }),
        ("book", new[] { "the characters felt real", "every chapter taught me something new", "the ending was clever and kind" }, new[] { "Dull.", "Slow.", "Pointless." }),
        ("party", new[] { "everyone danced until midnight", "we met many friendly people", "the games made us laugh" }, new[] { "Loud.", "Awkward.", "Late." }),
        ("game", new[] { "our team played with great spirit", "the final goal was amazing", "the fans cheered all evening" }, new[] { "Lost.", "Boring.", "Unfair." }),
        ("hike", new[] { "the view from the top was stunning", "we found a quiet lake in the forest", "the trail was easy and green" }, new[] { "Steep.", "Muddy.", "Tiring." }),
        ("beach", new[] { "the water was clear and calm", "we built a huge sand castle", "the sunset painted the sky orange" }, new[] { "Sandy.", "Hot.", "Crowded." }),
        ("garden", new[] { "the roses were in full bloom", "the tomatoes are finally ripe", "the birds sang in the trees" }, new[] { "Weeds.", "Dry.", "Bugs." }),
        ("museum", new[] { "the paintings were breathtaking", "the guide explained everything clearly", "the old maps were fascinating" }, new[] { "Dusty.", "Crowded.", "Boring." }),
        ("class", new[] { "the teacher explained the ideas clearly", "we solved every problem together", "I learned a useful new skill" }, new[] { "Hard.", "Dull.", "Long." }),
        ("meeting", new[] { "everyone shared good ideas", "we agreed on a clear plan", "it finished early with a smile" }, new[] { "Pointless.", "Long.", "Tense." }),
        ("picnic", new[] { "the sandwiches were delicious", "the children played on the grass", "we shared stories under a tree" }, new[] { "Ants.", "Windy.", "Soggy." }),
        ("holiday", new[] { "we rested and read by the pool", "the town was full of music", "the food was fresh and cheap" }, new[] { "Short.", "Expensive.", "Rainy." }),
        ("show", new[] { "the dancers were graceful", "the costumes were bright and beautiful", "the jokes made everyone laugh" }, new[] { "Silly.", "Long.", "Cheesy." }),
        ("festival", new[] { "the streets were full of colour", "we tasted food from many countries", "the fireworks lit up the night" }, new[] { "Crowded.", "Loud.", "Messy." }),
        ("wedding", new[] { "the bride looked radiant", "the speeches were warm and funny", "the whole family danced together" }, new[] { "Long.", "Stuffy.", "Awkward." }),
        ("interview", new[] { "the team was welcoming", "I answered every question with confidence", "they showed me the bright new office" }, new[] { "Stressful.", "Tough.", "Cold." }),
        ("train ride", new[] { "the seats were comfortable", "the fields outside were golden", "we arrived right on time" }, new[] { "Late.", "Cramped.", "Slow." }),
        ("cooking class", new[] { "we baked fresh bread together", "the chef shared clever tricks", "our pasta turned out perfect" }, new[] { "Burnt.", "Messy.", "Hard." }),
        ("zoo", new[] { "the baby elephants were playful", "the lions rested in the shade", "the penguins swam right past us" }, new[] { "Smelly.", "Hot.", "Crowded." }),
        ("new cafe", new[] { "the coffee was smooth and strong", "the pastries were warm and flaky", "the owner greeted us with a smile" }, new[] { "Pricey.", "Noisy.", "Slow." }),
    };

    private static readonly string[] Openers = { "Thanks for asking!", "Oh, it was wonderful.", "Happy to tell you!", "It was great, really.", "What a lovely question!" };
    private static readonly string[] Praise = { "lovely", "wonderful", "delightful", "fantastic", "pleasant", "beautiful", "great" };
    private static readonly string[] Closers = { "I would happily do it again.", "I hope you can enjoy it too.", "Let me know if you want more details.", "It really made my day.", "You should definitely try it." };
    private static readonly string[] PlainOpeners = { "It was okay.", "It was fine.", "Not bad.", "It was alright." };
    private static readonly string[] PlainBodies = { "The {0} was fine.", "Nothing special about the {0}.", "The {0} was average.", "The {0} was as expected." };
    private static readonly string[] CurtWords = { "Bad.", "Whatever.", "Meh.", "No.", "Awful.", "Don't ask.", "Terrible.", "Ugh.", "Never again." };

    /// <summary>The words of the grammar's curt replies (lower case, without punctuation), for <see cref="Classify"/>.</summary>
    private static readonly HashSet<string> HelpfulMarkers = new(
        Praise.Concat(new[] { "thanks", "happy", "hope", "enjoy", "enjoyed", "happily", "definitely", "lovely", "wonderful", "great" }), StringComparer.Ordinal);

    private static readonly HashSet<string> PlainMarkers = new(new[] { "okay", "fine", "alright", "average", "expected", "special", "not" }, StringComparer.Ordinal);

    private static readonly HashSet<string> CurtMarkers = new(
        CurtWords.Concat(Topics.SelectMany(t => t.Bad)).SelectMany(Words), StringComparer.Ordinal);

    /// <summary>The topics, in order.</summary>
    public static IReadOnlyList<string> TopicNames { get; } = Topics.Select(t => t.Topic).ToArray();

    /// <summary>Every prompt of the grammar (24 topics x 6 templates), topic-major.</summary>
    public static IReadOnlyList<string> AllPrompts { get; } =
        Topics.SelectMany(t => Templates.Select(template => string.Format(System.Globalization.CultureInfo.InvariantCulture, template, t.Topic))).ToArray();

    /// <summary>
    /// The fixed train / held-out split of <see cref="AllPrompts"/>: for topic <c>i</c> the prompt of template
    /// <c>i mod 6</c> is held out, so every topic appears in both sets (24 held-out, 120 training prompts).
    /// </summary>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> Test) Split()
    {
        var train = new List<string>();
        var test = new List<string>();
        for (int t = 0; t < Topics.Length; t++)
        {
            for (int k = 0; k < Templates.Length; k++)
            {
                (k == t % Templates.Length ? test : train).Add(AllPrompts[(t * Templates.Length) + k]);
            }
        }

        return (train, test);
    }

    /// <summary>The reward label of a style: helpful 1, plain 0.4, off-topic 0.3, curt 0. A helpful reply without a
    /// closing sentence gets 0.85.</summary>
    public static float LabelOf(ReplyStyle style, bool complete = true) => style switch
    {
        ReplyStyle.Helpful => complete ? 1f : 0.85f,
        ReplyStyle.Plain => 0.4f,
        ReplyStyle.OffTopic => 0.3f,
        _ => 0f,
    };

    /// <summary>Draws one reply of the given style to a prompt of the grammar.</summary>
    /// <exception cref="ArgumentException">The prompt is not about one of <see cref="TopicNames"/>.</exception>
    public static TinyLanguageExample Reply(string prompt, ReplyStyle style, Random random)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(random);
        int topic = TopicOf(prompt) ?? throw new ArgumentException($"Prompt '{prompt}' is about none of the corpus topics.", nameof(prompt));
        var (name, good, bad) = Topics[topic];
        var text = new StringBuilder();
        bool complete = true;
        switch (style)
        {
            case ReplyStyle.Helpful:
            case ReplyStyle.OffTopic:
                if (style == ReplyStyle.OffTopic)
                {
                    int other = (topic + 1 + random.Next(Topics.Length - 1)) % Topics.Length;
                    (name, good, _) = Topics[other];
                }

                text.Append(Pick(Openers, random)).Append(" The ").Append(name).Append(" was ").Append(Pick(Praise, random))
                    .Append(" and ").Append(Pick(good, random)).Append('.');
                complete = random.NextDouble() < 0.75;
                if (complete)
                {
                    text.Append(' ').Append(Pick(Closers, random));
                }

                break;
            case ReplyStyle.Plain:
                text.Append(Pick(PlainOpeners, random)).Append(' ')
                    .Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(PlainBodies, random), name));
                break;
            default:
                int count = 1 + random.Next(3);
                var words = new List<string>();
                while (words.Count < count)
                {
                    string word = random.NextDouble() < 0.5 ? Pick(bad, random) : Pick(CurtWords, random);
                    if (!words.Contains(word))
                    {
                        words.Add(word);
                    }
                }

                text.AppendJoin(' ', words);
                break;
        }

        return new TinyLanguageExample(prompt, text.ToString(), style, LabelOf(style, complete));
    }

    /// <summary>
    /// Draws <paramref name="count"/> examples: prompts uniformly from <paramref name="prompts"/>, styles from
    /// <paramref name="mix"/> (default <see cref="PretrainingMix"/>). The same arguments always give the same list.
    /// </summary>
    /// <param name="prompts">Prompts of the grammar (e.g. the training half of <see cref="Split"/>).</param>
    /// <param name="count">Number of examples.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="mix">Style probabilities (normalised here); null uses <see cref="PretrainingMix"/>.</param>
    /// <param name="offTopic">Probability of an off-topic helpful reply (reward training data; 0 for pre-training).</param>
    public static IReadOnlyList<TinyLanguageExample> Generate(IReadOnlyList<string> prompts, int count, int seed, (double Helpful, double Plain, double Curt)? mix = null, double offTopic = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var (h, p, c) = mix ?? PretrainingMix;
        if (!(h >= 0 && p >= 0 && c >= 0 && h + p + c > 0) || !(offTopic >= 0 && offTopic < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(mix), "Style probabilities must be non-negative with a positive sum, and offTopic in [0, 1).");
        }

        var random = new Random(seed);
        var examples = new List<TinyLanguageExample>(count);
        for (int i = 0; i < count; i++)
        {
            string prompt = prompts[random.Next(prompts.Count)];
            ReplyStyle style;
            if (random.NextDouble() < offTopic)
            {
                style = ReplyStyle.OffTopic;
            }
            else
            {
                double u = random.NextDouble() * (h + p + c);
                style = u < h ? ReplyStyle.Helpful : u < h + p ? ReplyStyle.Plain : ReplyStyle.Curt;
            }

            examples.Add(Reply(prompt, style, random));
        }

        return examples;
    }

    /// <summary>
    /// Classifies a reply by its words (for generated text that may not follow the grammar exactly): helpful when it
    /// has a word of praise or thanks, curt when every word belongs to the grammar's complaints, plain when it has
    /// a neutral word, otherwise null (unrecognised, e.g. empty).
    /// </summary>
    public static ReplyStyle? Classify(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var words = Words(reply).ToList();
        if (words.Count == 0)
        {
            return null;
        }

        if (words.Any(HelpfulMarkers.Contains))
        {
            return ReplyStyle.Helpful;
        }

        if (words.All(CurtMarkers.Contains))
        {
            return ReplyStyle.Curt;
        }

        return words.Any(PlainMarkers.Contains) ? ReplyStyle.Plain : null;
    }

    /// <summary>The index in <see cref="TopicNames"/> of the topic a prompt is about (the longest name it contains), or null.</summary>
    public static int? TopicOf(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        int? best = null;
        for (int t = 0; t < Topics.Length; t++)
        {
            if (prompt.Contains("the " + Topics[t].Topic, StringComparison.Ordinal) && (best is null || Topics[t].Topic.Length > Topics[best.Value].Topic.Length))
            {
                best = t;
            }
        }

        return best;
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split(new[] { ' ', '.', ',', '!', '?', ':', ';', '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant());

    private static string Pick(string[] items, Random random) => items[random.Next(items.Length)];
}
