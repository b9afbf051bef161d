// Run files must open in Python with numpy alone, so that anyone can analyse a run without this
// program (docs/interop.md): check our .npy and safetensors output against Debian's
// python3-numpy, when it is installed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "temp_dir.h"

namespace {

bool have_numpy() {
  return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

TEST(PythonInterop, NumpyReadsOurFilesAndWeReadNumpys) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy is not installed";
  cs::test::TempDir tmp;
  const float f[6] = {0.5f, -1, 2, 3.25f, 0.1f, 65520};
  cs::io::write_npy(tmp / "f4.npy", f, {2, 3});
  cs::io::write_npy_f16(tmp / "f2.npy", f, {6});
  const int64_t ids[2] = {-5, 1LL << 40};
  cs::io::write_npy(tmp / "i8.npy", ids, {2, 1});
  cs::io::SafeTensorsWriter wr;
  wr.set_metadata("step", "7");
  wr.add_f32("embed.W_E", {3, 2}, f);
  wr.add_i64("ids", {2}, ids);
  wr.write(tmp / "s.safetensors");

  const std::string script = R"PY(
import json, struct, sys
import numpy as np
d = sys.argv[1]
f4 = np.load(d + '/f4.npy')
assert f4.dtype == np.float32 and f4.shape == (2, 3), (f4.dtype, f4.shape)
assert f4[1, 1] == np.float32(0.1)
f2 = np.load(d + '/f2.npy')
want = np.array([0.5, -1, 2, 3.25, 0.1, 65520], dtype=np.float32).astype(np.float16)
assert f2.dtype == np.float16 and (f2.view(np.uint16) == want.view(np.uint16)).all(), f2
i8 = np.load(d + '/i8.npy')
assert i8.shape == (2, 1) and i8[1, 0] == 1 << 40
raw = open(d + '/s.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n])
assert h['__metadata__'] == {'step': '7'}, h
e = h['embed.W_E']
b, end = e['data_offsets']
w = np.frombuffer(raw[8 + n + b:8 + n + end], dtype='<f4').reshape(e['shape'])
assert w.shape == (3, 2) and w[1, 1] == np.float32(3.25)
np.save(d + '/from_numpy.npy', np.arange(12, dtype='<u2').reshape(3, 4))
np.save(d + '/from_numpy_f8.npy', np.array([[1.5], [np.pi]]))
)PY";
  cs::io::write_file_atomic(tmp / "check.py", script);
  const std::string cmd = "/usr/bin/python3 " + (tmp / "check.py") + " " + tmp.str();
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  cs::io::NpyArray u = cs::io::read_npy(tmp / "from_numpy.npy");
  EXPECT_EQ(u.dtype, "<u2");
  EXPECT_EQ(u.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(u.to_int64()[11], 11);
  cs::io::NpyArray d = cs::io::read_npy(tmp / "from_numpy_f8.npy");
  EXPECT_EQ(d.to_double()[1], 3.141592653589793);
}

}  // namespace
