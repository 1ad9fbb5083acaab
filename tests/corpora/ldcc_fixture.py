"""A tiny corpus in the livedoor news corpus layout, written for distil's tests.

Every article below was written for these tests: the people, shops and events are invented and
nothing is taken from the real corpus. Only the layout follows the official distribution:

    text/README.txt, text/CHANGES.txt
    text/<category>/LICENSE.txt
    text/<category>/<category>-<number>.txt   (URL, date, title, then the body)

`build_tarball(dest)` writes `dest/text/...` and packs it as `dest/ldcc-20140209.tar.gz`,
byte-for-byte the same on every call (fixed times and owners, members in a fixed order that is
deliberately not sorted, so readers must sort for themselves). `tarball_bytes(copies=n)` repeats
every article n times under new numbers, for shipped recipes that sample hundreds of articles.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path

TARBALL_NAME = "ldcc-20140209.tar.gz"
MTIME = 1391900000  # February 2014, like the official archive's name


@dataclass(frozen=True)
class FixtureArticle:
    category: str
    number: int
    date: str
    title: str
    body: str  # as the reader should return it

    @property
    def stem(self) -> str:
        return f"{self.category}-{self.number}"

    @property
    def doc_id(self) -> str:
        return f"{self.category}/{self.stem}"

    @property
    def url(self) -> str:
        return f"http://news.example.jp/article/detail/{self.number}/"

    def file_text(self) -> str:
        return f"{self.url}\n{self.date}\n{self.title}\n{self.body}\n"


def _a(category: str, number: int, date: str, title: str, body: str) -> FixtureArticle:
    return FixtureArticle(category, number, date, title, body.strip("\n"))


ARTICLES: tuple[FixtureArticle, ...] = (
    # -- dokujo-tsushin: 3 ---------------------------------------------------------------------
    _a("dokujo-tsushin", 6100001, "2012-08-01T10:00:00+0900",
       "一人旅デビューは近場の温泉から",
       """
休日をひとりで過ごす三十代の女性が増えている。都内の会社員、佐藤さん（仮名・34歳）は、昨年初めてひとりで温泉宿に泊まった。
「最初は周りの目が気になったけれど、好きな時間に起きて、好きなものを食べられるのが想像以上に楽しかった」と笑う。
旅行会社の担当者によると、ひとり客向けの宿泊プランは年々増えているという。まずは移動時間の短い近場から試してみるのがおすすめだそうだ。
"""),
    _a("dokujo-tsushin", 6100002, "2012-08-03T18:30:00+0900",
       "仕事帰りの料理教室、目当ては腕前よりも仲間",
       """
平日の夜に料理教室へ通う独身女性が少なくない。参加者の多くは「上達したい」よりも「職場以外の知り合いがほしい」と話す。
同じテーブルで包丁を握るうちに自然と会話が生まれ、教室のあとに食事へ行くこともあるという。
"""),
    _a("dokujo-tsushin", 6100003, "2012-08-10T12:15:00+0900",
       "月末に慌てない、貯金上手な独女の家計簿術",
       """
　給料日前になると財布が寂しくなる、という悩みは多い。貯金が得意な女性たちに話を聞くと、共通していたのは「使う前に分ける」習慣だった。

　給料が入ったらまず貯金用の口座へ一定額を移し、残りを一か月の生活費として使う。家計簿は細かく付けすぎず、週に一度まとめて見直すだけでも効果があるそうだ。
"""),
    # -- it-life-hack: 2 -----------------------------------------------------------------------
    _a("it-life-hack", 6200001, "2012-07-20T09:00:00+0900",
       "ノートパソコンの電池を長持ちさせる三つの設定",
       """
外出先でノートパソコンを使う人にとって、電池の残量は気になるところだ。画面の明るさを少し下げる、使っていない無線機能を切る、省電力モードを活用する。この三つだけでも、使える時間は目に見えて延びる。
"""),
    _a("it-life-hack", 6200002, "2012-07-25T15:45:00+0900",
       "写真の整理はクラウドに任せる時代へ",
       """
スマートフォンで撮った写真がたまる一方だという人は多い。クラウドの保存サービスを使えば、撮影日や場所ごとに自動で分類され、古い端末からの移行も簡単になる。
ただし、無料で使える容量には上限がある。大切な写真は、外付けの記憶装置にも控えを取っておくと安心だ。
"""),
    # -- kaden-channel: 4 ----------------------------------------------------------------------
    _a("kaden-channel", 6300001, "2012-07-02T11:00:00+0900",
       "夏の電気代を抑える、エアコンの上手な使い方",
       """
暑さが厳しくなると気になるのが電気代だ。エアコンはこまめに切るよりも、設定温度を少し高めにして連続で運転したほうが、消費電力を抑えられる場合がある。
フィルターを二週間に一度掃除するだけでも効率は上がる。扇風機を併用して部屋の空気を循環させるのも効果的だ。
"""),
    _a("kaden-channel", 6300002, "2012-07-05T14:20:00+0900",
       "新型ロボット掃除機、段差の乗り越えがさらに得意に",
       """
ある家電メーカーが、ロボット掃除機の新しいモデルを発表した。従来より高い段差を乗り越えられるようになり、敷物の多い部屋でも止まりにくくなったという。
"""),
    _a("kaden-channel", 6300003, "2012-07-12T08:10:00+0900",
       "電子レンジ一台で作る、時短の朝ごはん",
       """
忙しい朝でも、電子レンジがあれば温かい朝食が作れる。耐熱の器に卵と牛乳、刻んだ野菜を入れて混ぜ、二分ほど加熱すれば、ふんわりとした卵料理の出来上がりだ。
加熱しすぎると固くなるので、様子を見ながら三十秒ずつ足すのがコツだという。
"""),
    _a("kaden-channel", 6300004, "2012-07-18T19:00:00+0900",
       "加湿器の掃除、どのくらいの頻度が正解？",
       """
加湿器のタンクに水を足すだけで使い続けていないだろうか。水が古くなると雑菌が増えやすく、においの原因にもなる。
タンクの水は毎日入れ替え、週に一度は中を洗うのが目安だ。
"""),
    # -- livedoor-homme: 2 ---------------------------------------------------------------------
    _a("livedoor-homme", 6400001, "2012-06-15T07:30:00+0900",
       "三十代から始める、疲れにくい体づくり",
       """
「最近、疲れが抜けにくい」と感じ始めたら、生活を見直す合図かもしれない。激しい運動を急に始める必要はない。一駅分歩く、寝る前に軽く体を伸ばすといった小さな習慣を続けることが大切だ。
"""),
    _a("livedoor-homme", 6400002, "2012-06-22T13:00:00+0900",
       "商談で信頼される、名刺交換の基本",
       """
名刺交換は、初対面の相手に与える印象を左右する。名刺は胸の高さで両手で差し出し、相手の名刺は文字に指がかからないように受け取る。
受け取った名刺は、商談のあいだ机の上に置いておくのが一般的だ。
"""),
    # -- movie-enter: 3 ------------------------------------------------------------------------
    _a("movie-enter", 6500001, "2012-09-01T10:00:00+0900",
       "海辺の町を舞台にした青春映画、来春公開へ",
       """
小さな海辺の町で暮らす高校生たちの一年を描いた青春映画が、来年の春に公開されることが決まった。
主演を務める若手俳優は「撮影の合間に見た夕日が忘れられない。町の空気ごと届けたい」とコメントを寄せている。
"""),
    _a("movie-enter", 6500002, "2012-09-05T21:00:00+0900",
       "劇場版アニメ、公開初日に声優陣が舞台挨拶",
       """
人気アニメの劇場版が公開初日を迎え、都内の映画館で声優陣による舞台挨拶が行われた。会場は満席となり、観客からは大きな拍手が送られた。
"""),
    _a("movie-enter", 6500003, "2012-09-08T16:40:00+0900",
       "週末に観たい、心が温まる家族映画三選",
       """
今週末は家族で映画を楽しみたい、という人に向けて、心が温まる作品を三本選んだ。

一本目は、祖父と孫が古い自転車で旅をする物語。二本目は、町の小さなパン屋を守ろうとする家族の奮闘記。三本目は、迷子の犬を探して町じゅうを駆け回る兄妹の冒険だ。
どの作品も上映時間が短めで、小さな子どもと一緒でも観やすい。
"""),
    # -- peachy: 2 -----------------------------------------------------------------------------
    _a("peachy", 6600001, "2012-08-20T11:30:00+0900",
       "話題のフルーツサンド専門店が駅前にオープン",
       """
色とりどりの果物を生クリームで挟んだフルーツサンドの専門店が、駅前に開店した。季節ごとに使う果物が変わり、初日には開店前から行列ができた。
"""),
    _a("peachy", 6600002, "2012-08-24T07:00:00+0900",
       "朝五分でできる、むくみ対策ストレッチ",
       """
朝起きたら顔や足がむくんでいる、という人は多い。布団の上で足首をゆっくり回し、ふくらはぎを軽くもむだけでも、すっきり感が違う。
最後に深呼吸を三回して、一日を気持ちよく始めよう。
"""),
    # -- smax: 4 -------------------------------------------------------------------------------
    _a("smax", 6700001, "2012-08-28T10:00:00+0900",
       "新しいスマートフォン、カメラ性能を大幅に強化",
       """
ある通信会社が、秋冬向けのスマートフォンを発表した。新しいモデルは暗い場所での撮影に強くなり、夜景もくっきり写せるという。
電池の容量も増え、一日中使っても安心だとしている。
"""),
    _a("smax", 6700002, "2012-08-29T12:00:00+0900",
       "格安SIMへの乗り換え、手続きは意外と簡単",
       """
毎月の通信費を下げたいと考える人の間で、格安SIMへの関心が高まっている。今の電話番号をそのまま使える手続きを利用すれば、乗り換えは半日ほどで終わることが多い。
"""),
    _a("smax", 6700003, "2012-09-02T17:30:00+0900",
       "スマホの画面割れを防ぐ、ケース選びのポイント",
       """
スマートフォンを落として画面を割ってしまった経験はないだろうか。ケースを選ぶときは、画面より少し高い縁があるものを選ぶと、落としたときに画面が直接地面に当たりにくい。
"""),
    _a("smax", 6700004, "2012-09-06T09:15:00+0900",
       "タブレット向けの新しいOS、今月下旬から配信",
       """
タブレット向けの新しい基本ソフトが、今月下旬から順次配信される。画面の分割表示が使いやすくなり、二つのアプリを並べて作業できるようになる。
更新の前には、念のためデータの控えを取っておきたい。
"""),
    # -- sports-watch: 3 -----------------------------------------------------------------------
    _a("sports-watch", 6800001, "2012-09-10T22:00:00+0900",
       "若手投手が完封勝利、監督「堂々とした投球だった」",
       """
プロ野球の試合で、入団二年目の若手投手がプロ初の完封勝利を挙げた。九回を投げ抜き、許した安打はわずか三本だった。
試合後、監督は「堂々とした投球だった。次も期待したい」とたたえた。
"""),
    _a("sports-watch", 6800002, "2012-09-12T08:00:00+0900",
       "市民マラソン、参加者が過去最多に",
       """
秋に開かれる市民マラソンの参加者が、過去最多となる見込みだ。初心者向けの短い部門を新しく設けたことで、家族連れの申し込みが増えたという。
"""),
    _a("sports-watch", 6800003, "2012-09-14T19:30:00+0900",
       "代表候補合宿、初招集の選手に注目集まる",
       """
サッカーの代表候補合宿が始まり、初めて招集された選手に注目が集まっている。
本人は「まずは自分の持ち味を出したい」と、落ち着いた表情で練習に臨んだ。
"""),
    # -- topic-news: 2 -------------------------------------------------------------------------
    _a("topic-news", 6900001, "2012-09-18T06:00:00+0900",
       "駅前の商店街に新しい図書館が完成",
       """
駅前の商店街の一角に、新しい図書館が完成した。買い物のついでに立ち寄れるよう、夜は九時まで開館する。
館内には子ども向けの読み聞かせの部屋も設けられた。
"""),
    _a("topic-news", 6900002, "2012-09-20T12:00:00+0900",
       "小学校で防災の授業を強化へ",
       """
各地の小学校で、防災の授業を増やす動きが広がっている。地域の消防団と協力し、実際に避難経路を歩く訓練を取り入れる学校もある。
"""),
)

CATEGORY_COUNTS: dict[str, int] = {}
for _article in ARTICLES:
    CATEGORY_COUNTS[_article.category] = CATEGORY_COUNTS.get(_article.category, 0) + 1

# One article is written with blank lines around its body and Windows line endings, as a file
# edited by hand might be; the reader must still return the body of ARTICLES.
MESSY = "kaden-channel/kaden-channel-6300002"

README = """テスト用コーパス

このディレクトリは distil のテストのために作った小さなコーパスです。
形式は livedoor ニュースコーパスに合わせていますが、記事はすべて架空のものです。
"""
CHANGES = "2014-02-09: テスト用に作成\n"


def license_text(category: str) -> str:
    return f"{category} の記事はテストのために書いた架空の文章です。自由に使って構いません。\n"


def _raw(article: FixtureArticle) -> bytes:
    if article.doc_id == MESSY:
        text = f"{article.url}\n{article.date}\n{article.title}\n\n\n{article.body}\n\n  \n"
        return text.replace("\n", "\r\n").encode("utf-8")
    return article.file_text().encode("utf-8")


# copy k of an article (k >= 1) is numbered `number + COPY_STEP * k`
COPY_STEP = 10000


def files(copies: int = 1) -> dict[str, bytes]:
    """Every file of the corpus, by its path inside the archive, in packing order.

    With `copies` > 1 each article appears that many times, the copies renumbered (and so
    distinct documents to a reader), for recipes whose `sample` exceeds the 25 written here.
    """
    out: dict[str, bytes] = {
        "text/README.txt": README.encode("utf-8"),
        "text/CHANGES.txt": CHANGES.encode("utf-8"),
    }
    # reverse order: the reader may not rely on the archive being sorted
    for category in sorted(CATEGORY_COUNTS, reverse=True):
        for article in reversed([a for a in ARTICLES if a.category == category]):
            for k in range(copies):
                copy = replace(article, number=article.number + COPY_STEP * k) if k else article
                out[f"text/{category}/{copy.stem}.txt"] = _raw(copy)
        out[f"text/{category}/LICENSE.txt"] = license_text(category).encode("utf-8")
    return out


def write_text_dir(dest: Path) -> Path:
    """Write the extracted form under `dest`; returns `dest/text`."""
    for name, data in files().items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return dest / "text"


def tarball_bytes(copies: int = 1) -> bytes:
    """The packed corpus, deterministic (fixed mtime, owner and gzip header)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs_done: set[str] = set()
        for name, data in files(copies).items():
            parent = name.rsplit("/", 1)[0]
            if parent not in dirs_done:
                for i in range(1, parent.count("/") + 2):
                    d = "/".join(parent.split("/")[:i])
                    if d not in dirs_done:
                        info = tarfile.TarInfo(d)
                        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                        tar.addfile(info)
                        dirs_done.add(d)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=MTIME)


def build_tarball(dest: Path) -> Path:
    """Write `dest/text/...` and `dest/ldcc-20140209.tar.gz`; returns the tarball's path."""
    dest.mkdir(parents=True, exist_ok=True)
    write_text_dir(dest)
    path = dest / TARBALL_NAME
    path.write_bytes(tarball_bytes())
    return path


if __name__ == "__main__":  # python -m tests.corpora.ldcc_fixture DIR
    import sys

    print(build_tarball(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
