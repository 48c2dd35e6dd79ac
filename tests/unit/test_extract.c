#include "tests/unit/test.h"
#include "corpus/extract.h"
TEST(create) { mm_extract *x = mm_extract_create(NULL); CHECK(x != NULL); mm_extract_free(x); }
int main(void) { test_prog_ = "test_extract"; RUN(create); return test_summary(); }
