#include <thread>
#include <mutex>
#include <condition_variable>
#include <vector>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <future>
int main(){
  std::atomic<int> count{0};
  std::vector<std::thread> ts;
  for(int i=0;i<8;i++) ts.emplace_back([&,i]{ for(int k=0;k<100000;k++) count++; });
  for(auto&t:ts) t.join();
  printf("count=%d\n", count.load());
  std::mutex m; std::condition_variable cv; int stage=0;
  std::thread p([&]{ for(int i=0;i<1000;i++){ std::unique_lock l(m); cv.wait(l,[&]{return stage%2==0;}); stage++; cv.notify_all(); } });
  for(int i=0;i<1000;i++){ std::unique_lock l(m); cv.wait(l,[&]{return stage%2==1;}); stage++; cv.notify_all(); }
  p.join(); printf("stage=%d\n", stage);
  auto t0=std::chrono::steady_clock::now(); std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto ms=std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()-t0).count();
  printf("slept>=20: %d\n", ms>=20);
  auto f=std::async(std::launch::async,[]{return 42;}); printf("async=%d\n", f.get());
  thread_local int tl=5; std::thread([&]{tl=7;}).join(); printf("tl=%d\n",tl);
  std::vector<std::thread> many; int n=0; std::mutex nm;
  for(int r=0;r<10;r++){ for(int i=0;i<100;i++) many.emplace_back([&]{std::lock_guard g(nm); n++;}); for(auto&t:many) t.join(); many.clear(); }
  printf("n=%d\n",n);
}
