#include "pipeline/demo_recipe.h"

namespace cs::pipeline {

namespace {

// Learned positions added to the residual stream ("standard") give layer 0 a previous-token head
// and layer 1 induction heads; Python source code mixed into the built-in corpus brings them
// within 25 M tokens; a 1,024-token vocabulary makes each token cheaper (the unembedding was over
// half of the model's work at 2,048) and the heads form earlier, between 13.6 M and 20 M tokens
// depending on the seed (docs/history.md, the sixth sweep). 24 M tokens leave the ICL score time to
// settle after the fall; 100 log-spaced snapshots put about eight inside the stretch.
const DemoRecipe kQuick = {"quick", 1024, 128, 8, 16, 256, 4, 3e-3, 100, 23438, "standard", "LN", 100, 128,
                           {"builtin:", "python-source:"}};
// The same models and data for 35 M tokens, with twice the evaluation sequences: the scores after
// the phase change settle, and their standard errors shrink.
const DemoRecipe kFull = {"full", 1024, 128, 8, 16, 256, 4, 3e-3, 100, 34180, "standard", "LN", 100, 256,
                          {"builtin:", "python-source:"}};

}  // namespace

const DemoRecipe& demo_recipe(bool full) { return full ? kFull : kQuick; }

}  // namespace cs::pipeline
