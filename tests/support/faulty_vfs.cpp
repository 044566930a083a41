// A SQLite VFS shim for tests: loaded into the real daemon with LD_PRELOAD, it becomes the
// default VFS and passes every call to the "unix" VFS, except that while the file named by
// JOURNEYD_TEST_FAULT_FILE exists, writes and syncs fail as its first word says:
//   write  → xWrite fails with SQLITE_IOERR_WRITE   (a failing device)
//   fsync  → xSync fails with SQLITE_IOERR_FSYNC    (a device that cannot flush)
//   full   → xWrite fails with SQLITE_FULL          (a full disk, without filling one)
//   hang   → xWrite blocks until the word changes   (a wedged writer thread, for the watchdog)
// Nothing of this is in the daemon: it is built only as a test library (libjd_faulty_vfs.so).
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

sqlite3_vfs* g_real = nullptr;

enum class Fault { kNone, kWrite, kFsync, kFull, kHang };

Fault currentFault() {
  static const char* path = std::getenv("JOURNEYD_TEST_FAULT_FILE");
  if (!path) return Fault::kNone;
  struct stat st {};
  if (stat(path, &st) != 0) return Fault::kNone;
  std::ifstream in(path);
  std::string word;
  in >> word;
  if (word == "write") return Fault::kWrite;
  if (word == "fsync") return Fault::kFsync;
  if (word == "full") return Fault::kFull;
  if (word == "hang") return Fault::kHang;
  return Fault::kNone;
}

struct FaultyFile {
  sqlite3_file base;
  sqlite3_file* real;  // the unix VFS's file, allocated right after this struct
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultyFile*>(f)->real; }

int xClose(sqlite3_file* f) {
  return real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
}
int xRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int xWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  while (currentFault() == Fault::kHang) usleep(20000);
  switch (currentFault()) {
    case Fault::kWrite:
      return SQLITE_IOERR_WRITE;
    case Fault::kFull:
      return SQLITE_FULL;
    default:
      return real(f)->pMethods->xWrite(real(f), buf, n, off);
  }
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int xSync(sqlite3_file* f, int flags) {
  if (currentFault() == Fault::kFsync) return SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int xLock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int xUnlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int xCheckReservedLock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int xFileControl(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int xSectorSize(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int xDeviceCharacteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int xShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void xShmBarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int xShmUnmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int xFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int xUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods kMethods = {3,
                                     xClose,
                                     xRead,
                                     xWrite,
                                     xTruncate,
                                     xSync,
                                     xFileSize,
                                     xLock,
                                     xUnlock,
                                     xCheckReservedLock,
                                     xFileControl,
                                     xSectorSize,
                                     xDeviceCharacteristics,
                                     xShmMap,
                                     xShmLock,
                                     xShmBarrier,
                                     xShmUnmap,
                                     xFetch,
                                     xUnfetch};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<FaultyFile*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  const int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  // Only files the real VFS opened get our methods (SQLite calls xClose only then).
  file->base.pMethods = file->real->pMethods ? &kMethods : nullptr;
  return rc;
}
int xDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_real->xDelete(g_real, name, sync_dir);
}
int xAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int xFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* xDlOpen(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void xDlError(sqlite3_vfs*, int n, char* msg) { g_real->xDlError(g_real, n, msg); }
void (*xDlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_real->xDlSym(g_real, h, sym);
}
void xDlClose(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int xRandomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int xSleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int xCurrentTime(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int xGetLastError(sqlite3_vfs*, int n, char* out) { return g_real->xGetLastError(g_real, n, out); }
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

sqlite3_vfs g_faulty;

__attribute__((constructor)) void registerFaultyVfs() {
  g_real = sqlite3_vfs_find("unix");
  if (!g_real) return;
  g_faulty = sqlite3_vfs{};
  g_faulty.iVersion = 2;
  g_faulty.szOsFile = static_cast<int>(sizeof(FaultyFile)) + g_real->szOsFile;
  g_faulty.mxPathname = g_real->mxPathname;
  g_faulty.zName = "journeyd-faulty";
  g_faulty.xOpen = xOpen;
  g_faulty.xDelete = xDelete;
  g_faulty.xAccess = xAccess;
  g_faulty.xFullPathname = xFullPathname;
  g_faulty.xDlOpen = xDlOpen;
  g_faulty.xDlError = xDlError;
  g_faulty.xDlSym = xDlSym;
  g_faulty.xDlClose = xDlClose;
  g_faulty.xRandomness = xRandomness;
  g_faulty.xSleep = xSleep;
  g_faulty.xCurrentTime = xCurrentTime;
  g_faulty.xGetLastError = xGetLastError;
  g_faulty.xCurrentTimeInt64 = xCurrentTimeInt64;
  sqlite3_vfs_register(&g_faulty, /*makeDflt=*/1);
}

}  // namespace
